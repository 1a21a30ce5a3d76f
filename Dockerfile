# syntax=docker/dockerfile:1.7
#
# Buntime in a container: a release build, then a slim non-root runtime.
#
#   docker build -t buntime .
#   docker run -p 8080:8080 -v buntime-apps:/apps -e ADMIN_TOKEN=... buntime
#
# V8: the `v8` crate downloads its prebuilt static library from GitHub while
# it builds. Where that is not reachable, hand it a local copy through the
# `v8` build context (the folder holding the .a.gz), e.g. our shared copy:
#
#   docker build --build-context v8=../shared/v8 -t buntime .
#
# or name any path inside that context with --build-arg RUSTY_V8_ARCHIVE=/v8/<file>.

# Empty unless overridden by `--build-context v8=<folder>`.
FROM scratch AS v8

FROM rust:1.95-bookworm AS builder
ARG RUSTY_V8_ARCHIVE=
WORKDIR /src
COPY . .
# Caches keep the registry and target/ between builds; the binary is copied
# out of the cache mount so the next stage can take it.
RUN --mount=type=bind,from=v8,target=/v8 \
    --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    set -eu; \
    local_v8=/v8/librusty_v8_simdutf_release_x86_64-unknown-linux-gnu.a.gz; \
    if [ -z "$RUSTY_V8_ARCHIVE" ] && [ -f "$local_v8" ]; then RUSTY_V8_ARCHIVE=$local_v8; fi; \
    if [ -n "$RUSTY_V8_ARCHIVE" ]; then export RUSTY_V8_ARCHIVE; fi; \
    cargo build --release --locked --bin buntime-embedded; \
    install -m 0755 target/release/buntime-embedded /usr/local/bin/buntime-embedded

FROM debian:bookworm-slim AS runtime
# The binary needs only glibc and libgcc (V8 and its libc++ are linked in;
# TLS roots are compiled in too).
RUN groupadd --system --gid 10001 buntime \
 && useradd --system --uid 10001 --gid buntime --home-dir /nonexistent --shell /usr/sbin/nologin buntime \
 && mkdir /apps \
 && chown buntime:buntime /apps
COPY --from=builder /usr/local/bin/buntime-embedded /usr/local/bin/buntime-embedded
# The example apps; a new named volume starts as a copy of them.
COPY --chown=buntime:buntime apps/ /apps/
ENV APPS_DIR=/apps \
    HOST=0.0.0.0 \
    PORT=8080 \
    NODE_ENV=production \
    RUST_LOG=info
VOLUME ["/apps"]
EXPOSE 8080
USER 10001:10001
# No curl in the slim image: bash's /dev/tcp asks /_/health (public, cheap).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${PORT:-8080} && printf 'GET /_/health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# SIGTERM drains in-flight requests (SHUTDOWN_GRACE).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/buntime-embedded"]
