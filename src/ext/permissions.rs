//! What app code may touch through Deno's extension crates: the network (for
//! `fetch`) and nothing on the host's disk. deno_fetch reads a
//! `PermissionsContainer` from op state; this builds one.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use deno_permissions::{
  AllowRunDescriptorParseResult, DenyRunDescriptor, EnvDescriptor, EnvDescriptorParseError,
  FfiDescriptor, ImportDescriptor, NetDescriptor, NetDescriptorParseError, PathQueryDescriptor,
  PathResolveError, PermissionDescriptorParser, Permissions, PermissionsContainer,
  PermissionsOptions, ReadDescriptor, RunDescriptorParseError, RunQueryDescriptor,
  SpecialFilePathQueryDescriptor, SysDescriptor, SysDescriptorParseError, WriteDescriptor,
};

/// Every path-shaped permission fails to parse, so no grant or check can
/// name a host file; network descriptors parse as Deno parses them.
#[derive(Debug)]
struct NetOnlyParser;

fn no_host_paths() -> PathResolveError {
  PathResolveError::CwdResolve(std::io::Error::other(
    "apps cannot access the host file system; use Bun.file for files inside the app folder",
  ))
}

impl PermissionDescriptorParser for NetOnlyParser {
  fn parse_read_descriptor(&self, _: &str) -> Result<ReadDescriptor, PathResolveError> {
    Err(no_host_paths())
  }

  fn parse_write_descriptor(&self, _: &str) -> Result<WriteDescriptor, PathResolveError> {
    Err(no_host_paths())
  }

  fn parse_net_descriptor(&self, text: &str) -> Result<NetDescriptor, NetDescriptorParseError> {
    NetDescriptor::parse_for_list(text)
  }

  fn parse_import_descriptor(
    &self,
    text: &str,
  ) -> Result<ImportDescriptor, NetDescriptorParseError> {
    ImportDescriptor::parse_for_list(text)
  }

  fn parse_env_descriptor(&self, text: &str) -> Result<EnvDescriptor, EnvDescriptorParseError> {
    Ok(EnvDescriptor::new(Cow::Owned(text.to_string())))
  }

  fn parse_sys_descriptor(&self, text: &str) -> Result<SysDescriptor, SysDescriptorParseError> {
    SysDescriptor::parse(text.to_string())
  }

  fn parse_allow_run_descriptor(
    &self,
    _: &str,
  ) -> Result<AllowRunDescriptorParseResult, RunDescriptorParseError> {
    Err(no_host_paths().into())
  }

  fn parse_deny_run_descriptor(&self, text: &str) -> Result<DenyRunDescriptor, PathResolveError> {
    Ok(DenyRunDescriptor::Name(text.to_string()))
  }

  fn parse_ffi_descriptor(&self, _: &str) -> Result<FfiDescriptor, PathResolveError> {
    Err(no_host_paths())
  }

  fn parse_path_query<'a>(
    &self,
    _: Cow<'a, Path>,
  ) -> Result<PathQueryDescriptor<'a>, PathResolveError> {
    Err(no_host_paths())
  }

  fn parse_special_file_descriptor<'a>(
    &self,
    _: PathQueryDescriptor<'a>,
  ) -> Result<SpecialFilePathQueryDescriptor<'a>, PathResolveError> {
    Err(no_host_paths())
  }

  fn parse_net_query(&self, text: &str) -> Result<NetDescriptor, NetDescriptorParseError> {
    NetDescriptor::parse_for_query(text)
  }

  fn parse_run_query<'a>(
    &self,
    _: &'a str,
  ) -> Result<RunQueryDescriptor<'a>, RunDescriptorParseError> {
    Err(no_host_paths().into())
  }
}

/// Network allowed (an empty allow list means every host), all else denied
/// without prompting.
pub fn app_permissions() -> PermissionsContainer {
  let parser = Arc::new(NetOnlyParser);
  let options = PermissionsOptions {
    allow_net: Some(vec![]),
    prompt: false,
    ..Default::default()
  };
  let perms = Permissions::from_options(parser.as_ref(), &options)
    .unwrap_or_else(|_| Permissions::none_without_prompt());
  PermissionsContainer::new(parser, perms)
}
