/**
 * Where webhooks may go (SPEC §7): http: and https: URLs whose host resolves to public unicast
 * addresses only, unless WEBHOOK_ALLOW_PRIVATE=true. The resolved addresses are checked, not the
 * name (a public name can point at 127.0.0.1), when an endpoint is created and again on every
 * connection a delivery opens (`guardedLookup`), so a name re-pointed later is refused too.
 */
import { type LookupAddress, type LookupAllOptions, type LookupOneOptions, lookup } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** Public unicast only: ipaddr.js names every other range (private, loopback, linkLocal,
 *  uniqueLocal, carrierGradeNat, reserved, multicast, unspecified...). IPv4-mapped IPv6 is
 *  judged as the IPv4 address it carries. */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

export class AddressRefused extends Error {
  readonly code = 'PRIVATE_ADDRESS';
}

export type UrlProblem = { message: string };

/** The URL's form: absolute, http: or https:, a host, no credentials (they would be sent to every receiver's logs). */
export function checkUrlForm(raw: string): { url: URL } | UrlProblem {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { message: 'is not an absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { message: `must be an http: or https: URL, not ${url.protocol}` };
  }
  if (!url.hostname) return { message: 'has no host' };
  if (url.username || url.password) return { message: 'must not carry a user name or password' };
  return { url };
}

/** A URL's hostname as an address when it is one (`[::1]` is `::1`), else null. */
export function literalAddress(url: URL): string | null {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) ? host : null;
}

/**
 * Resolves the URL's host (every address, as a connection could use any) and refuses a private
 * one unless allowed. Resolution failures are problems too: a subscription that cannot be
 * delivered is better refused now than failed for six hours.
 */
export async function checkDestination(url: URL, allowPrivate: boolean): Promise<UrlProblem | null> {
  const literal = literalAddress(url);
  const addresses = literal
    ? [literal]
    : await new Promise<string[] | null>((resolve) => {
        lookup(url.hostname, { all: true, verbatim: true }, (error, found) =>
          resolve(error ? null : found.map((a) => a.address)),
        );
      });
  if (!addresses || addresses.length === 0) return { message: `host "${url.hostname}" does not resolve` };
  if (allowPrivate) return null;
  const refused = addresses.find((address) => !isPublicAddress(address));
  return refused
    ? {
        message: `resolves to ${refused}, a loopback, private or otherwise non-public address (allowed only with WEBHOOK_ALLOW_PRIVATE=true)`,
      }
    : null;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `dns.lookup` for the delivery agent's sockets: resolves as usual, then refuses a non-public
 * address, so the check holds for the address actually connected to (no window between a check
 * and the connection for the name to change).
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions, callback: LookupCallback): void => {
    // Always every address: each one is checked, whichever the socket would pick.
    lookup(hostname, { ...options, all: true }, (error, list) => {
      if (error) return callback(error, []);
      if (!allowPrivate && list.some((a) => !isPublicAddress(a.address))) {
        return callback(new AddressRefused(`${hostname} resolves to a non-public address`), []);
      }
      if ((options as LookupAllOptions).all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}
