import manifest from '../package.json' with { type: 'json' };

/**
 * osfp's version. The workspace's packages are released together, at one
 * version; this package (the one every other depends on) carries it for all:
 * the CLI's --version, the User-Agent and every manifest's provenance.
 */
export const OSFP_VERSION: string = manifest.version;
