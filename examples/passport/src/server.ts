// `npm start -w examples/passport`: the example on PORT (default 3000).
import { serve } from '../../shared/src/serve.js';
import { startExample } from './app.js';

await serve('Passport (Express)', startExample);
