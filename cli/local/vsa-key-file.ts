/** The embedded stack's VSA signing key, under the work dir (generated on first use, 0600). */
export const VSA_KEY_FILE = 'vsa-key.pem';
