/**
 * Recognising Nmap's OS-detection probes among incoming TCP segments, by
 * their exact window and option layout (osscan2.cc sends fixed ones), so each
 * gets the answer its test describes; everything else is ordinary traffic.
 */
import { TCP_FLAGS } from './host-profile.ts';
import type { TcpView } from './packets.ts';

export type TcpProbeKind =
  | { kind: 'seq'; index: number }
  | { kind: 'ecn' }
  | { kind: 't'; test: 2 | 3 | 4 | 5 | 6 | 7 }
  | { kind: 'ordinary-syn' }
  | { kind: 'other' };

/** Window and option kinds of SEQ probes 1..6 (WS=3, NOP=1, MSS=2, TS=8, SACK=4, EOL=0). */
const SEQ_PROBES: readonly { window: number; kinds: string }[] = [
  { window: 1, kinds: '3,1,2,8,4' },
  { window: 63, kinds: '2,3,4,8,0' },
  { window: 4, kinds: '8,1,1,3,1,2' },
  { window: 4, kinds: '4,8,3,0' },
  { window: 16, kinds: '2,4,8,3,0' },
  { window: 512, kinds: '2,4,8' },
];

const { SYN, ACK, FIN, RST, PSH, URG, ECE, CWR } = TCP_FLAGS;

export function classifyTcp(seg: TcpView, toOpenPort: boolean): TcpProbeKind {
  const f = seg.flags;
  if (f & RST) return { kind: 'other' };
  if (toOpenPort) {
    if ((f & (SYN | ECE | CWR)) === (SYN | ECE | CWR) && !(f & ACK) && seg.window === 3) return { kind: 'ecn' };
    if ((f & (SYN | FIN | URG | PSH)) === (SYN | FIN | URG | PSH) && !(f & ACK)) return { kind: 't', test: 3 };
    if ((f & (SYN | ACK | FIN)) === SYN) {
      for (let i = 0; i < SEQ_PROBES.length; i++) {
        const p = SEQ_PROBES[i]!;
        if (seg.window === p.window && seg.optionKinds === p.kinds) return { kind: 'seq', index: i };
      }
      return { kind: 'ordinary-syn' };
    }
    if (f === 0) return { kind: 't', test: 2 };
    if (f & ACK) return { kind: 't', test: 4 };
    return { kind: 'other' };
  }
  if ((f & (SYN | ACK)) === SYN) return { kind: 't', test: 5 };
  if (f & ACK) return { kind: 't', test: 6 };
  return { kind: 't', test: 7 };
}
