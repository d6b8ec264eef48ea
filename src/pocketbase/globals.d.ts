// PocketBase's generated types.d.ts declares the JSVM globals but not require(); Buffer is goja's.
declare function require(path: string): any;

declare const Buffer: { from(data: string, encoding: 'hex'): { toString(encoding: 'base64'): string } };
