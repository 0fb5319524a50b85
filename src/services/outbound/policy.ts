import ipaddr from 'ipaddr.js';

/**
 * Where outbound requests (REST steps, webhook deliveries) may go. Only public unicast addresses are
 * allowed by default: private, loopback, link-local, carrier-grade NAT, multicast, reserved and the other
 * special-purpose ranges are refused, as classified by ipaddr.js `range()` (a maintained table of the
 * IANA registries, not CIDRs of our own). IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) are judged as
 * the IPv4 address they carry. `allowHosts` (OUTBOUND_ALLOW_HOSTS) names hosts or addresses allowed
 * anyway, so development and tests can call loopback.
 */
export class DestinationPolicy {
  private readonly allowed: ReadonlySet<string>;

  constructor(allowHosts: readonly string[]) {
    this.allowed = new Set(allowHosts.map(normalizeHost));
  }

  /** True when the host name (or IP literal) itself is on the allow list; its addresses are then not checked. */
  hostAllowed(host: string): boolean {
    return this.allowed.has(normalizeHost(host));
  }

  /** Why `address` (a resolved or literal IP) is refused, or undefined when it may be called. */
  refusal(address: string): string | undefined {
    if (this.allowed.has(normalizeHost(address))) return undefined;
    if (!ipaddr.isValid(address)) return `"${address}" is not an IP address`;
    const range = ipaddr.process(address).range();
    return range === 'unicast' ? undefined : `${address} is a ${range} address`;
  }
}

/** Lower case, without the brackets of an IPv6 literal in a URL, and an IPv6 address in its canonical form. */
export function normalizeHost(host: string): string {
  const bare = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return ipaddr.IPv6.isValid(bare) && !ipaddr.IPv4.isValid(bare) ? ipaddr.IPv6.parse(bare).toString() : bare;
}

/** True when `host` is an IP literal (so no DNS lookup happens for it). */
export function isIpLiteral(host: string): boolean {
  return ipaddr.isValid(normalizeHost(host));
}
