/**
 * temporal-sealed-fields/server: Node only. The codec server for the Web UI and CLI.
 * @packageDocumentation
 */
export {};
