/** Validates one detector option; the error names the option and its range. */
export function checkRange(name: string, value: number, lo: number, hi: number, integer = false): void {
  if (!Number.isFinite(value) || value < lo || value > hi || (integer && !Number.isInteger(value))) {
    throw new RangeError(`config.${name} must be ${integer ? 'an integer' : 'a number'} in ${lo}..${hi}, got ${value}`);
  }
}
