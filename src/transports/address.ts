/**
 * @module transports/address
 * A peer's address as AWS reports it: an IPv4 client on a dual-stack socket shows as plain IPv4
 * (`127.0.0.1`), not as its IPv4-mapped IPv6 form (`::ffff:127.0.0.1`), in lifecycle events and in
 * policies' aws:SourceIp.
 */
export function peerAddress(socket: { readonly remoteAddress?: string | undefined }): string {
  const address = socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
