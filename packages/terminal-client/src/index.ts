/**
 * @bosun/terminal-client: a transport-agnostic client of the viewer protocol, for the
 * hub's page (browser `WebSocket`) and `bosun attach` (`ws` in Node).
 */
export {
  TerminalClient,
  type BackoffOptions,
  type ClientTimers,
  type ConnectTarget,
  type SocketLike,
  type TerminalClientEvents,
  type TerminalClientOptions,
  type TerminalClientState,
  type TerminalClientStatus,
} from './lib/terminal-client.js';
