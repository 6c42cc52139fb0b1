/**
 * A minimal protocol-buffers writer: just the wire types the ONNX messages need (varint,
 * 32-bit float, length-delimited bytes, strings, nested messages and packed repeated fields).
 *
 * Fields are written in the order the caller writes them, so the same calls always give the
 * same bytes.
 *
 * @module
 */

/** Protobuf wire types (the low 3 bits of a field key). */
export const WireType = { Varint: 0, Fixed64: 1, Bytes: 2, Fixed32: 5 } as const;

const TWO_POW_32 = 2 ** 32;

/** Appends encoded fields to a growing buffer; {@linkcode ProtoWriter.finish} returns them. */
export class ProtoWriter {
  #buffer = new Uint8Array(256);
  #length = 0;

  /** Number of bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /** The bytes written so far (a copy that later writes do not change). */
  finish(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }

  /**
   * Writes a bare base-128 varint. Negative numbers are written as 64-bit two's complement
   * (10 bytes), as protobuf does for `int32`/`int64`; magnitudes must stay below 2^53.
   */
  rawVarint(value: number): this {
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(`Protobuf varint ${value} is not a safe integer.`);
    }
    // Split into 32-bit halves so negative values become their 64-bit two's complement.
    let low = value >>> 0;
    let high = value < 0 ? (Math.floor(value / TWO_POW_32) >>> 0) : Math.floor(value / TWO_POW_32);
    this.#reserve(10);
    while (high > 0 || low > 0x7f) {
      this.#buffer[this.#length++] = (low & 0x7f) | 0x80;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    this.#buffer[this.#length++] = low;
    return this;
  }

  /** Writes raw bytes with no key or length. */
  rawBytes(bytes: Uint8Array): this {
    this.#reserve(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
    return this;
  }

  /** Writes a field key: `(field << 3) | wireType`. */
  key(field: number, wireType: number): this {
    return this.rawVarint(field * 8 + wireType);
  }

  /** Writes a varint field (`int32`, `int64`, `uint64`, `bool`, enums). */
  varint(field: number, value: number): this {
    return this.key(field, WireType.Varint).rawVarint(value);
  }

  /** Writes a `float` field (little-endian IEEE 754 single). */
  float(field: number, value: number): this {
    this.key(field, WireType.Fixed32);
    this.#reserve(4);
    new DataView(this.#buffer.buffer).setFloat32(this.#length, value, true);
    this.#length += 4;
    return this;
  }

  /** Writes a length-delimited `bytes` field. */
  bytes(field: number, bytes: Uint8Array): this {
    return this.key(field, WireType.Bytes).rawVarint(bytes.length).rawBytes(bytes);
  }

  /** Writes a UTF-8 `string` field. */
  string(field: number, text: string): this {
    return this.bytes(field, new TextEncoder().encode(text));
  }

  /** Writes a nested message field whose content `write` puts into a fresh writer. */
  message(field: number, write: (writer: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    write(inner);
    return this.key(field, WireType.Bytes).rawVarint(inner.#length)
      .rawBytes(inner.#buffer.subarray(0, inner.#length));
  }

  /** Writes a packed repeated `float` field (one length prefix, then 4 bytes per value). */
  packedFloats(field: number, values: ArrayLike<number>): this {
    const data = Float32Array.from(values);
    const bytes = new Uint8Array(data.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
    return this.bytes(field, bytes);
  }

  /** Writes a packed repeated varint field (`int32`, `int64`, …). */
  packedVarints(field: number, values: ArrayLike<number>): this {
    const inner = new ProtoWriter();
    for (let i = 0; i < values.length; i++) inner.rawVarint(values[i]);
    return this.bytes(field, inner.finish());
  }

  /** Writes one unpacked varint field per value (proto2's default for repeated scalars). */
  repeatedVarints(field: number, values: ArrayLike<number>): this {
    for (let i = 0; i < values.length; i++) this.varint(field, values[i]);
    return this;
  }

  #reserve(extra: number): void {
    const needed = this.#length + extra;
    if (needed <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
  }
}
