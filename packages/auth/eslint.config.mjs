import base, { libraryRules } from '../../eslint.config.mjs';

export default [...base, ...libraryRules];
