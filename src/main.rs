use buntime_embedded::front::connections;
use buntime_embedded::settings::Settings;
use buntime_embedded::worker;

fn main() {
  let settings = Settings::from_env_and_args();
  tracing_subscriber::fmt()
    .with_env_filter(
      tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
    )
    .with_writer(std::io::stderr)
    .init();
  // Each connection takes a descriptor: allow as many as the hard limit.
  if let Some(limit) = buntime_embedded::limits::raise_open_files_limit() {
    tracing::debug!("open files limit: {limit}");
  }
  worker::init_v8(&settings.v8_flags);
  worker::install_panic_guard();
  buntime_embedded::ext::net_policy::BLOCK_PRIVATE_FETCH.store(
    settings.block_private_fetch,
    std::sync::atomic::Ordering::Relaxed,
  );
  buntime_embedded::ext::app_log::LOG_BYTES_PER_SEC.store(
    settings.app_log_kb_per_sec.saturating_mul(1024),
    std::sync::atomic::Ordering::Relaxed,
  );
  buntime_embedded::ext::sqlite::SQLITE_QUOTA_BYTES.store(
    settings.sqlite_quota_mb.saturating_mul(1 << 20),
    std::sync::atomic::Ordering::Relaxed,
  );
  buntime_embedded::ext::bun_ops::MAX_DECOMPRESSED_BYTES.store(
    settings
      .max_decompressed_mb
      .unwrap_or(settings.max_body_mb)
      .saturating_mul(1 << 20),
    std::sync::atomic::Ordering::Relaxed,
  );
  buntime_embedded::ext::net_policy::set_private_targets(&settings.proxy_private_targets);
  let runtime = tokio::runtime::Builder::new_multi_thread()
    .enable_all()
    .build()
    .expect("tokio runtime");
  if let Err(err) = runtime.block_on(connections::serve(settings)) {
    eprintln!("buntime-embedded: {err}");
    std::process::exit(1);
  }
}
