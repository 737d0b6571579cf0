declare const sandboxReflect: typeof Reflect;
export = sandboxReflect;
