/**
 * The eleven connection states of RFC 9293 3.3.2, spelled as in the RFC.
 */

export const TcpState = {
  Closed: 'CLOSED',
  Listen: 'LISTEN',
  SynSent: 'SYN-SENT',
  SynReceived: 'SYN-RECEIVED',
  Established: 'ESTABLISHED',
  FinWait1: 'FIN-WAIT-1',
  FinWait2: 'FIN-WAIT-2',
  CloseWait: 'CLOSE-WAIT',
  Closing: 'CLOSING',
  LastAck: 'LAST-ACK',
  TimeWait: 'TIME-WAIT',
} as const;

export type TcpState = (typeof TcpState)[keyof typeof TcpState];

/** The synchronized states (RFC 9293 3.5.2 group 3): both ISNs known and acknowledged. */
export function isSynchronized(s: TcpState): boolean {
  return (
    s === TcpState.Established ||
    s === TcpState.FinWait1 ||
    s === TcpState.FinWait2 ||
    s === TcpState.CloseWait ||
    s === TcpState.Closing ||
    s === TcpState.LastAck ||
    s === TcpState.TimeWait
  );
}
