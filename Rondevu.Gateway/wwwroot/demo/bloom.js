// Bloom filter of peer ids, bit-compatible with the Rondevu client and server (API.md):
// k = 3 hashes; for seed i: h = 2166136261 ^ i, then for each UTF-16 code unit c:
// h ^= c; h += (h<<1) + (h<<4) + (h<<7) + (h<<8) + (h<<24)   (wrapping unsigned 32-bit)
// bit index = h mod (8 * bytes); byte index / 8, bit index % 8 (bit 0 least significant).

const HASHES = 3;

function hash(text, seed) {
  let h = (2166136261 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h = (h ^ text.charCodeAt(i)) >>> 0;
    h = (h + (h << 1) + (h << 4) + (h << 7) + (h << 8) + (h << 24)) >>> 0;
  }
  return h;
}

function bits(bytes, id) {
  const size = bytes.length * 8;
  return Array.from({ length: HASHES }, (_, seed) => hash(id, seed) % size);
}

/** A filter of `size` bytes with every id in `ids` added. */
export function createBloom(ids, size = 128) {
  const bytes = new Uint8Array(size);
  for (const id of ids) {
    for (const bit of bits(bytes, id)) bytes[bit >> 3] |= 1 << (bit & 7);
  }
  return bytes;
}

export function bloomMightContain(bytes, id) {
  return bits(bytes, id).every((bit) => (bytes[bit >> 3] & (1 << (bit & 7))) !== 0);
}

export function toBase64(bytes) {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
