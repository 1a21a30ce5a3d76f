//! Whether a client connection was opened by this very process: an app's
//! `fetch`, a proxy rule or any other socket of the server's own. Such
//! requests never reach `/_/`, whatever host, name or address they used,
//! so an app cannot borrow the server's loopback trust (or a token a proxy
//! rule adds) to call the admin API.
//!
//! Linux: the peer's address is looked up in `/proc/net/tcp{,6}` and the
//! socket's inode among this process's descriptors. Only admin requests
//! pay for this.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// True when `peer` (the remote end of an accepted connection) is a socket
/// this process holds.
pub fn is_own_socket(peer: SocketAddr) -> bool {
  let inodes: Vec<u64> = ["/proc/net/tcp", "/proc/net/tcp6"]
    .iter()
    .filter_map(|table| std::fs::read_to_string(table).ok())
    .flat_map(|table| socket_inodes(&table, peer))
    .collect();
  if inodes.is_empty() {
    return false;
  }
  let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
    return false;
  };
  fds
    .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
    .filter_map(|link| {
      let link = link.to_str()?;
      link
        .strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse::<u64>()
        .ok()
    })
    .any(|inode| inodes.contains(&inode))
}

/// The same address in both forms a socket table may show it in.
fn unmapped(ip: IpAddr) -> IpAddr {
  match ip {
    IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
    ip => ip,
  }
}

/// Inodes of the sockets in one `/proc/net/tcp`-style table whose local
/// address is `wanted`.
fn socket_inodes(table: &str, wanted: SocketAddr) -> Vec<u64> {
  let wanted = SocketAddr::new(unmapped(wanted.ip()), wanted.port());
  table
    .lines()
    .skip(1)
    .filter_map(|line| {
      let fields: Vec<&str> = line.split_whitespace().collect();
      let local = parse_address(fields.get(1)?)?;
      let inode = fields.get(9)?.parse::<u64>().ok()?;
      (SocketAddr::new(unmapped(local.ip()), local.port()) == wanted && inode != 0).then_some(inode)
    })
    .collect()
}

/// `0100007F:1F90` (IPv4) or 32 hex digits `:port` (IPv6): the kernel
/// prints each 32-bit word of the address as a native-endian number.
fn parse_address(text: &str) -> Option<SocketAddr> {
  let (addr, port) = text.split_once(':')?;
  let port = u16::from_str_radix(port, 16).ok()?;
  let word = |hex: &str| u32::from_str_radix(hex, 16).ok().map(u32::to_ne_bytes);
  let ip = match addr.len() {
    8 => IpAddr::V4(Ipv4Addr::from(word(addr)?)),
    32 => {
      let mut bytes = [0u8; 16];
      for (i, chunk) in bytes.chunks_mut(4).enumerate() {
        chunk.copy_from_slice(&word(addr.get(i * 8..i * 8 + 8)?)?);
      }
      IpAddr::V6(Ipv6Addr::from(bytes))
    }
    _ => return None,
  };
  Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn reads_table_addresses() {
    let ipv4 = u32::from_ne_bytes([127, 0, 0, 1]);
    let text = format!("{ipv4:08X}:1F90");
    assert_eq!(
      parse_address(&text),
      Some("127.0.0.1:8080".parse().unwrap())
    );
    let v6: String = Ipv6Addr::LOCALHOST
      .octets()
      .chunks(4)
      .map(|b| format!("{:08X}", u32::from_ne_bytes([b[0], b[1], b[2], b[3]])))
      .collect();
    assert_eq!(
      parse_address(&format!("{v6}:0050")),
      Some("[::1]:80".parse().unwrap())
    );
    assert_eq!(parse_address("zz:1"), None);
  }

  #[test]
  fn finds_its_own_client_sockets_only() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (_accepted, peer) = listener.accept().unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    assert!(is_own_socket(peer));
    // A mapped form of the same peer is the same socket.
    let mapped = match peer.ip() {
      IpAddr::V4(v4) => SocketAddr::new(IpAddr::V6(v4.to_ipv6_mapped()), peer.port()),
      ip => SocketAddr::new(ip, peer.port()),
    };
    assert!(is_own_socket(mapped));
    drop(client);
    // Nothing of ours sits on port 1.
    assert!(!is_own_socket("127.0.0.1:1".parse().unwrap()));
  }
}
