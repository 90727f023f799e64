import { WithReason } from '../shared/reason.js';

/** DELETE takes the reason as a query parameter (`?reason=`), since DELETE bodies are unreliable. */
export class RemoveAliasQuery extends WithReason {}
