import { isIPv4 } from 'node:net';

/**
 * True for `localhost` and loopback IP literals (127.0.0.0/8, `::1`, with or without
 * brackets): where plain http or an unmasked WebSocket cannot be read by anyone else.
 * A name that merely starts like one (`127.0.0.1.example`, `localhost.example`) is not.
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  return isIPv4(h) && h.startsWith('127.');
}
