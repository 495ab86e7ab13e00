/**
 * The Python that runs the tests' reference scripts: the project's virtualenv (.venv, made by
 * scripts/setup.sh, with PyTorch 2.x, transformers, peft and safetensors), else the system's python3.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const venv = fileURLToPath(new URL('../../.venv/bin/python', import.meta.url));
export const PYTHON = existsSync(venv) ? venv : '/usr/bin/python3';

/** True when PYTHON imports every module named. */
export function pythonHas(...modules: string[]): boolean {
  return spawnSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { stdio: 'ignore' }).status === 0;
}
