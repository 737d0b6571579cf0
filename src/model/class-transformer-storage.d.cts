declare const storages: unknown[];
export { storages };
