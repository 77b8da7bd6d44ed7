/** Terminal-output helpers shared by the CLI tests. */

/** A raw control character (a line break aside) or bidi override: what the CLI never prints from evidence. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
export const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** `text` without the SGR colour codes the CLI adds itself (`ESC [ 3x m`). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape is what is removed
export const withoutColour = (text: string): string => text.replaceAll(/\u001b\[3\dm/g, '');
