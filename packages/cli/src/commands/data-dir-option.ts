import { Option } from 'commander';

/** `--data-dir DIR`, shared by the commands that read or write datasets; env OSFP_DATA_DIR, default ./osfp-data. */
export function dataDirOption(): Option {
  return new Option('--data-dir <dir>', 'data directory holding the store and the datasets')
    .env('OSFP_DATA_DIR')
    .default('./osfp-data');
}
