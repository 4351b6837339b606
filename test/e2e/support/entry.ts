/**
 * The Functions entry the e2e tests load: functions/index.ts plus the triggers of issue 6. registerTriggers() is
 * idempotent, so this keeps working once functions/index.ts calls it itself.
 */
import '../../../functions/index';
import { registerTriggers } from '../../../functions/http/registerTriggers';

registerTriggers();
