import { openSqliteStore } from '../../../test/support/stores.js';
import { chainTamperContract } from './contract/chain-tamper.contract.js';

// SQLite is embedded, so the tampering scenarios run in the unit tier against a real database file.
describe('hash chain tampering (SQLite)', () => {
  chainTamperContract(() => openSqliteStore('chain'));
});
