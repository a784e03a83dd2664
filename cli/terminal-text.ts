/**
 * Text from outside (result files, broker and client error messages, record contents) shown in a
 * terminal. Control characters — ESC sequences that recolour, move the cursor, retitle the window
 * or hide text, C1 controls, and bidirectional overrides that reorder what is shown — are printed
 * as visible escapes instead of being interpreted. Newlines too: one warning stays one line.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
