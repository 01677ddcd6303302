/** The value types every binding file shares (in their own file so binding.ts and bindings/* do not import each other). */
declare const handleBrand: unique symbol;
/** An MLX array inside the addon: opaque to TS (a tagged BigInt naming a slot and its generation, native/wrap.h). */
export type Handle = { readonly [handleBrand]: true };
export type StreamArg = undefined | 'cpu' | 'gpu' | { index: number; device: 'cpu' | 'gpu'; deviceIndex?: number };
export type Operand = Handle | number | boolean | bigint;
export type Axes = number | number[] | undefined;
