// OpenBLAS for libmlx without a system package: the pinned scipy-openblas32 wheel from PyPI (the OpenBLAS
// build NumPy ships, with run-time CPU detection) plus a small forwarding library generated here.
// scipy-openblas prefixes every symbol (scipy_cblas_sgemm, scipy_sgetrf_, ...) while libmlx imports the
// plain names, so the forwarder defines each plain name libmlx imports from BLAS/LAPACK as a single jump
// to the prefixed one: no signatures to get wrong (hidden Fortran string lengths included), no cost
// beyond one branch per call. Used by scripts/fetch-mlx.mjs and scripts/prebuild.sh.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { downloadWheel, unpackWheel, WheelError } from './wheel.mjs';

export const OPENBLAS_PACKAGE = 'scipy-openblas32';
export const OPENBLAS_VERSION = '0.3.34.481.3';
/** sha256 of the wheels pip may pick for the pinned version (glibc x86_64 and aarch64). */
export const OPENBLAS_SHA256 = {
  'scipy_openblas32-0.3.34.481.3-py3-none-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl':
    '0595f94cd58c1f8a0d90c975621f4587337a003916b1979e834ebdf2cb5d9504',
  'scipy_openblas32-0.3.34.481.3-py3-none-manylinux_2_27_aarch64.manylinux_2_28_aarch64.whl':
    'e085dddbc5b9aa130f83def515d31c440e69f387a90c7e63b154a5575b4466bc',
};
export const OPENBLAS_PREFIX = 'scipy_';
/** The generated library; libmlx's libblas-* and liblapack-* names point to it. */
export const FORWARDER = 'libmlxt_openblas.so';
const LIB_SUBDIR = join('scipy_openblas32', 'lib');
const LIB_NAME = 'libscipy_openblas.so';

export class OpenBlasError extends Error {}

/** The wheel's sha256 if it is the pinned one for its file name; throws otherwise. */
export function checkWheelHash(path) {
  const wheel = basename(path);
  const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex');
  if (OPENBLAS_SHA256[wheel] !== sha256) {
    throw new OpenBlasError(`${wheel} has sha256 ${sha256}, which is not the pinned ` +
      (OPENBLAS_SHA256[wheel] ?? `hash of any ${OPENBLAS_PACKAGE} ${OPENBLAS_VERSION} wheel for this platform`) +
      '.\nRefusing to use it. Point MLX_TRAIN_OPENBLAS_DIR at an installed OpenBLAS to build without it.');
  }
  return sha256;
}

/** Downloads the pinned wheel with pip, checks its hash and unpacks it into `dir`; returns the library folder. */
export function fetchOpenBlas(python, dir, log = (m) => console.error(m)) {
  const stampPath = join(dir, 'mlx-train.json');
  const stamp = existsSync(stampPath) ? JSON.parse(readFileSync(stampPath, 'utf8')) : null;
  const libDir = join(dir, LIB_SUBDIR);
  if (stamp?.version === OPENBLAS_VERSION && existsSync(join(libDir, LIB_NAME))) return libDir;
  const tmp = `${dir}.download-${process.pid}`;
  let wheel;
  try {
    wheel = downloadWheel(python, `${OPENBLAS_PACKAGE}==${OPENBLAS_VERSION}`, tmp, 'point MLX_TRAIN_OPENBLAS_DIR at an installed OpenBLAS');
  } catch (err) {
    throw err instanceof WheelError ? new OpenBlasError(err.message) : err;
  }
  let sha256;
  try {
    sha256 = checkWheelHash(join(tmp, wheel));
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  unpackWheel(python, join(tmp, wheel), dir);
  rmSync(tmp, { recursive: true, force: true });
  writeFileSync(stampPath, JSON.stringify({ package: OPENBLAS_PACKAGE, version: OPENBLAS_VERSION, wheel, sha256 }, null, 2));
  log(`mlx-train: OpenBLAS ${OPENBLAS_VERSION} (${OPENBLAS_PACKAGE}, sha256 ok) ready in ${dir}`);
  return libDir;
}

/**
 * Dynamic symbols of an ELF64 little-endian shared object (x86_64, aarch64), read from its .dynsym:
 * the names it imports (undefined) and the functions it defines.
 */
export function dynamicSymbols(path) {
  const buf = readFileSync(path);
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2 || buf[5] !== 1) {
    throw new OpenBlasError(`${path} is not a 64-bit little-endian ELF file`);
  }
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const section = (i) => {
    const at = shoff + i * shentsize;
    return { type: buf.readUInt32LE(at + 4), offset: Number(buf.readBigUInt64LE(at + 0x18)),
      size: Number(buf.readBigUInt64LE(at + 0x20)), link: buf.readUInt32LE(at + 0x28) };
  };
  const SHT_DYNSYM = 11;
  let dynsym;
  for (let i = 0; i < shnum && !dynsym; i++) if (section(i).type === SHT_DYNSYM) dynsym = section(i);
  if (!dynsym) throw new OpenBlasError(`${path} has no dynamic symbol table`);
  const strtab = section(dynsym.link);
  const name = (off) => buf.toString('latin1', strtab.offset + off, buf.indexOf(0, strtab.offset + off));
  const imports = new Set();
  const functions = new Set();
  for (let at = dynsym.offset + 24; at < dynsym.offset + dynsym.size; at += 24) {
    const info = buf[at + 4];
    const bind = info >> 4;
    const type = info & 0xf;
    if (bind !== 1 && bind !== 2) continue;  // GLOBAL or WEAK only
    const sym = name(buf.readUInt32LE(at));
    if (buf.readUInt16LE(at + 6) === 0) imports.add(sym);
    else if (type === 2 || type === 10) functions.add(sym);  // FUNC or GNU_IFUNC
  }
  return { imports, functions };
}

/**
 * The BLAS/LAPACK functions libmlx imports: its undefined symbols that the wheel's own (reference)
 * libblas/liblapack define, so a libc or libstdc++ import is never forwarded. Fails naming any that
 * OpenBLAS lacks, rather than leaving libmlx with an unresolved symbol at load time.
 */
export function forwardedSymbols(libmlx, referenceLibs, openblasLib) {
  const provided = new Set(referenceLibs.flatMap((l) => [...dynamicSymbols(l).functions]));
  const wanted = [...dynamicSymbols(libmlx).imports].filter((s) => provided.has(s)).sort();
  if (wanted.length === 0) throw new OpenBlasError(`${libmlx} imports nothing from ${referenceLibs.join(', ')}`);
  const available = dynamicSymbols(openblasLib).functions;
  const missing = wanted.filter((s) => !available.has(OPENBLAS_PREFIX + s));
  if (missing.length) {
    throw new OpenBlasError(`${openblasLib} lacks ${missing.map((s) => OPENBLAS_PREFIX + s).join(', ')}, which libmlx needs`);
  }
  return wanted;
}

/** Assembly source defining each symbol as a tail jump to its prefixed twin, for x64 or arm64. */
export function forwarderSource(symbols, arch = process.arch) {
  const isa = {
    x64: { type: '@function', align: 4, jump: (t) => `jmp ${t}@PLT`, progbits: '@progbits' },
    arm64: { type: '%function', align: 2, jump: (t) => `b ${t}`, progbits: '%progbits' },
  }[arch];
  if (!isa) throw new OpenBlasError(`no BLAS forwarder for ${arch} (x64 and arm64 only)`);
  const body = symbols.map((s) => [
    `\t.globl ${s}`, `\t.type ${s}, ${isa.type}`, `\t.p2align ${isa.align}`, `${s}:`,
    `\t${isa.jump(OPENBLAS_PREFIX + s)}`, `\t.size ${s}, .-${s}`,
  ].join('\n'));
  return [`// Generated by mlx-train scripts/openblas.mjs: ${symbols.length} BLAS/LAPACK symbols -> ${OPENBLAS_PREFIX}*`,
    '\t.text', ...body, `\t.section .note.GNU-stack,"",${isa.progbits}`, ''].join('\n');
}

/** The C++ compiler the addon build uses (CXX, else c++ / g++ / clang++ on PATH). */
export function findCompiler() {
  for (const cmd of [process.env.CXX, 'c++', 'g++', 'clang++'].filter(Boolean)) {
    try {
      execFileSync(cmd, ['--version'], { stdio: 'ignore' });
      return cmd;
    } catch { /* try the next one */ }
  }
  throw new OpenBlasError('no C++ compiler found (CXX, c++, g++ or clang++); it builds the addon and the BLAS forwarder.\n' +
    'Install one (Debian/Ubuntu: apt-get install g++).');
}

/**
 * Builds `libsDir`/libmlxt_openblas.so for libmlx from OpenBLAS in `openblasLibDir`. Its rpath is
 * $ORIGIN (a prebuild ships both side by side) then the relative path to `openblasLibDir`.
 */
export function buildForwarder({ libmlx, referenceLibs, openblasLibDir, libsDir, compiler = findCompiler() }) {
  const openblasLib = join(openblasLibDir, LIB_NAME);
  const symbols = forwardedSymbols(libmlx, referenceLibs, openblasLib);
  const source = join(libsDir, 'mlxt_openblas.S');
  writeFileSync(source, forwarderSource(symbols));
  const out = join(libsDir, FORWARDER);
  const rel = relative(libsDir, openblasLibDir);
  try {
    execFileSync(compiler, ['-shared', '-nostdlib', '-o', out, source, `-L${openblasLibDir}`, `-l:${LIB_NAME}`,
      `-Wl,-soname,${FORWARDER}`, '-Wl,--no-undefined', '-Wl,-z,noexecstack', '-Wl,--disable-new-dtags',
      `-Wl,-rpath,$ORIGIN:$ORIGIN/${rel}`], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    throw new OpenBlasError(`${compiler} could not build ${out} from ${source} (see its message above)`);
  }
  return { path: out, symbols };
}
