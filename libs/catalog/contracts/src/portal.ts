/**
 * A portal tile's colour: `#rgb` or `#rrggbb`, nothing else. The catalog refuses anything else at
 * registration; the IdP checks again before it writes the colour into its page's stylesheet.
 */
export const PORTAL_COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
