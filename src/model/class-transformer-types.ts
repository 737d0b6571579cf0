import type { AnyClass, ClassThunk } from './registry';
import { storages } from './class-transformer-storage.cjs';

interface TypeMetadataLike {
  typeFunction?: () => unknown;
}
interface MetadataStorageLike {
  _typeMetadatas?: Map<unknown, Map<string, TypeMetadataLike>>;
}

/** Fields of `ctor` (not its ancestors) that class-transformer's `@Type(() => X)` declared. */
export function classTransformerTypes(ctor: AnyClass): Map<string, ClassThunk> {
  const found = new Map<string, ClassThunk>();
  for (const storage of storages as MetadataStorageLike[]) {
    const fields = storage?._typeMetadatas?.get(ctor);
    if (fields === undefined) continue;
    for (const [field, meta] of fields) {
      if (typeof meta.typeFunction === 'function') found.set(field, meta.typeFunction as ClassThunk);
    }
  }
  return found;
}

interface WritableStorageLike extends MetadataStorageLike {
  addTypeMetadata?: (metadata: {
    target: unknown;
    propertyName: string;
    reflectedType: unknown;
    typeFunction: () => unknown;
    options: object;
  }) => void;
}

/**
 * Records `@Nested(() => X)` as class-transformer's `@Type(() => X)` too, so `plainToInstance`
 * builds nested instances from the same DTO. Never replaces a `@Type` the field already has.
 */
export function recordClassTransformerType(ctor: AnyClass, field: string, type: ClassThunk): void {
  for (const storage of storages as WritableStorageLike[]) {
    if (typeof storage?.addTypeMetadata !== 'function' || storage._typeMetadatas?.get(ctor)?.has(field) === true) continue;
    storage.addTypeMetadata({ target: ctor, propertyName: field, reflectedType: undefined, typeFunction: type, options: {} });
  }
}
