/** Metadata keys this library writes. The Web UI never shows metadata. */
export const META = {
  encoding: 'encoding',
  /** Registered class or schema name, to rebuild instances without a type hint. */
  type: 'sealed-type',
  /** Converter output the codec has not sealed yet: plaintext, must never reach the server. */
  pending: 'sealed-pending',
  /** The sealed envelope written by the codec. */
  sealed: 'sealed-fields',
  /** Codec output for the converter after opening: in memory only. */
  opened: 'sealed-opened',
} as const;

/** The only encoding this library seals. */
export const JSON_ENCODING = 'json/plain';
