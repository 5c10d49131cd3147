/**
 * The ports every lab target answers on. 80 and 443 are the web's; the extra
 * HTTP ports let one host make several (address, port) rows, so that a
 * benchmark can collect a million distinct rows from the lab's 65,528 hosts
 * (16 ports each).
 */
export const TARGET_TLS_PORTS: readonly number[] = [443];
export const TARGET_HTTP_PORTS: readonly number[] = [80, ...Array.from({ length: 15 }, (_, i) => 8001 + i)];
