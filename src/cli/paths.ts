/** Files shipped with the package, found relative to this module (src/cli/ or dist/cli/, both two levels deep). */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function packageFile(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}
