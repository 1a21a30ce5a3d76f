use buntime_embedded::settings::Settings;

fn main() {
  let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
  if args
    .get(1)
    .and_then(|first| first.to_str())
    .is_some_and(buntime_embedded::cli::is_command)
  {
    std::process::exit(buntime_embedded::cli::main(args));
  }
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
  if let Err(err) = buntime_embedded::run(settings) {
    eprintln!("buntime-embedded: {err}");
    std::process::exit(1);
  }
}
