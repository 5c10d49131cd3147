import { forgeCrc32, crc32 } from './src/emulator/packets.ts';
for (const t of [0, 0x1234abcd, 0xE44A4E43, 0xffffffff]) { const b = forgeCrc32(t); console.log(t.toString(16), crc32(b).toString(16), b); }
