/** The version of `daraja-sdk`. */
export const VERSION = '0.0.0';
