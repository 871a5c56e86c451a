'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose (bootstrap.cjs). */
/**
 * A V8 code cache for the CommonJS modules an environment loads during init (issue 15):
 * the bundled runtime's own files and the function's, an AWS SDK client among them. A
 * cold start then deserialises bytecode instead of parsing and compiling each module
 * again (measured in bench/startup.mjs).
 *
 *   1. `install(dir)` (first thing in bootstrap.cjs) wraps Module.prototype._compile: a
 *      CommonJS module is compiled as a vm.Script of Node's own wrapper text, with the
 *      cached data kept for that file if there is some and it is still valid;
 *   2. `stop()` (when init is over): modules loaded later compile as usual;
 *      `seal()` (before the runtime changes V8's flags: cached data carries a hash of the
 *      flags it was made under) takes V8's data of every module compiled without a usable
 *      cache, including the functions init ran;
 *   3. `flush()` writes what `seal` took (temp file + rename, so a reader never sees half
 *      an entry); the runtime calls it once the platform has its next /next (bootstrap.cjs
 *      `afterInit`), where it costs no caller any wait. In a sandbox the folder is
 *      read-only and `flush()` hands each entry to the platform instead (`send`: the
 *      private channel's CACHE frame), which checks it against the function's own code and
 *      writes it, and only before the environment's first invocation
 *      (src/pool/code-cache-writer.ts).
 *
 * Never stale: an entry names the file, its size, mtime and inode, the source's length,
 * Node's version and the architecture, and is used only if all of them match what is
 * being loaded now (V8 checks its own version, flags and the source length again). Code
 * roots are content-addressed and read-only, so in practice a new package is a new path.
 * What the function observes is unchanged: the same wrapper, `this`, `require` (with
 * resolve, resolve.paths, main, extensions, cache), line and column numbers; a module that
 * does not compile this way (a syntax error, ES module syntax) goes to Node's own loader,
 * which reports or handles it as always, and so does a module that may use `import()`
 * (MAY_IMPORT). ES modules are not cached: Node 20 has no hook into the ES module
 * loader's compilation.
 */
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const vm = require('node:vm');
const { SMALL_INIT_CHARS, digest } = require('./small-init.cjs');

/** @typedef {{ file: string, size: number, mtimeMs: number, ino: number, length: number, node: string }} EntryHeader */

/**
 * @typedef {object} CodeCache
 * @property {() => void} stop
 * @property {() => void} seal
 * @property {() => void} flush
 * @property {{ hits: number, misses: number, chars: number }} counts modules compiled from the
 *   cache, and not; the CommonJS source compiled during init, in characters
 */

/**
 * @typedef {object} SmallInit
 * @property {string} marker the marker's file name for this init (small-init.cjs)
 * @property {string} root the function's code folder, named in the marker's header
 */

/** The part of Node's CommonJS Module this relies on (documented or long-stable). */
/**
 * @typedef {object} CjsModule
 * @property {unknown} exports
 * @property {(id: string) => unknown} require
 */
/** @typedef {(this: CjsModule, content: string, filename: string, format?: string) => unknown} Compile */
/**
 * @typedef {object} ModuleStatics
 * @property {{ _compile: Compile }} prototype
 * @property {(request: string, parent: CjsModule, isMain: boolean, options?: unknown) => string} _resolveFilename
 * @property {(request: string, parent: CjsModule) => string[] | null} _resolveLookupPaths
 * @property {object} _extensions
 * @property {object} _cache
 * @property {(content: string) => string} wrap
 * @property {readonly string[]} wrapper
 */

const M = /** @type {ModuleStatics} */ (/** @type {unknown} */ (Module));

/**
 * Modules that may use `import()` are left to Node's loader. On Node 20, a vm.Script
 * made from cached data loses its dynamic-import callback (the callback is keyed by a
 * symbol of the process that made the cache: ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING), and
 * a script's `eval`/`new Function` code imports through the script's callback. Any of
 * them needs the word `import` in the source (in code or in the string it evaluates), so
 * a module without that word cannot reach it, short of assembling the keyword from pieces.
 */
const MAY_IMPORT = /\bimport\b/;

/** The largest entry sent to the platform (`send`): a CACHE frame's body stays below 64 MiB. */
const MAX_SENT_BYTES = 32 * 1024 * 1024;

/** What the wrapper adds before a module's first line (the column offset to take back). */
const WRAPPER_PREFIX_LENGTH = (M.wrapper[0] ?? '').length;
const IDENTITY = `${process.version} ${process.arch}`;
/** This client's own files (unbundled: tests run them from src/) are not the function's init. */
const OWN_DIR = `${__dirname}${path.sep}`;

/**
 * A file name for a module's entry: a digest of its path (a collision only costs a miss,
 * the header tells the files apart).
 * @param {string} filename
 * @returns {string}
 */
function entryName(filename) {
  return `${digest(filename)}.v8`;
}

/**
 * @param {string} filename
 * @param {string} content
 * @returns {EntryHeader | undefined}
 */
function headerOf(filename, content) {
  try {
    const st = fs.statSync(filename);
    return {
      file: filename,
      size: st.size,
      mtimeMs: st.mtimeMs,
      ino: st.ino,
      length: content.length,
      node: IDENTITY,
    };
  } catch {
    return undefined;
  }
}

/**
 * The cached data of an entry, if the entry describes exactly this module.
 * @param {string} entry
 * @param {EntryHeader} want
 * @returns {Buffer | undefined}
 */
function readEntry(entry, want) {
  let bytes;
  try {
    bytes = fs.readFileSync(entry);
  } catch {
    return undefined;
  }
  if (bytes.length < 4) {
    return undefined;
  }
  const headerBytes = bytes.readUInt32LE(0);
  if (4 + headerBytes > bytes.length) {
    return undefined;
  }
  try {
    /** @type {unknown} */
    const parsed = JSON.parse(bytes.toString('utf8', 4, 4 + headerBytes));
    const got = /** @type {Partial<EntryHeader>} */ (parsed);
    const same =
      got.file === want.file &&
      got.size === want.size &&
      got.mtimeMs === want.mtimeMs &&
      got.ino === want.ino &&
      got.length === want.length &&
      got.node === want.node;
    return same ? bytes.subarray(4 + headerBytes) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `require` as Node's loader gives it to a module (lib/internal/modules/helpers.js).
 * @param {CjsModule} mod
 */
function makeRequire(mod) {
  /** @param {string} id */
  const require = (id) => mod.require(id);
  /** @param {string} request @param {unknown} [options] */
  const resolve = (request, options) => M._resolveFilename(request, mod, false, options);
  /** @param {string} request */
  resolve.paths = (request) => M._resolveLookupPaths(request, mod);
  require.resolve = resolve;
  require.main = process.mainModule;
  require.extensions = M._extensions;
  require.cache = M._cache;
  return require;
}

/**
 * Starts caching in `dir` (created if missing). Undefined when the directory cannot be
 * used: the runtime then loads modules as Node always does. With `smallInit`, `seal`
 * also leaves that marker when init compiled less than SMALL_INIT_CHARS (small-init.cjs).
 * With `send`, `dir` is only read (it may be missing) and `flush` sends each entry's name
 * and bytes there instead of writing them.
 * @param {string} dir
 * @param {SmallInit} [smallInit]
 * @param {(name: string, bytes: Buffer) => void} [send]
 * @returns {CodeCache | undefined}
 */
function install(dir, smallInit, send) {
  if (send === undefined) {
    try {
      fs.mkdirSync(dir, { recursive: true });
      fs.accessSync(dir, fs.constants.W_OK);
    } catch {
      return undefined;
    }
  }
  const original = M.prototype._compile;
  /** @type {{ script: vm.Script, header: EntryHeader, entry: string }[]} */
  let compiled = [];
  /** @type {{ entry: string, bytes: Buffer }[]} */
  let toWrite = [];
  let stopped = false;
  const counts = { hits: 0, misses: 0, chars: 0 };

  /**
   * @this {CjsModule}
   * @param {string} content
   * @param {string} filename
   * @param {string} [format]
   */
  M.prototype._compile = function compile(content, filename, format) {
    if (stopped || (format !== undefined && format !== 'commonjs') || typeof content !== 'string') {
      return original.call(this, content, filename, format);
    }
    if (!filename.startsWith(OWN_DIR)) {
      counts.chars += content.length;
    }
    if (MAY_IMPORT.test(content)) {
      return original.call(this, content, filename, format);
    }
    const header = headerOf(filename, content);
    if (header === undefined) {
      return original.call(this, content, filename, format);
    }
    const entry = path.join(dir, entryName(filename));
    const cachedData = readEntry(entry, header);
    let script;
    try {
      script = new vm.Script(M.wrap(content), {
        filename,
        columnOffset: -WRAPPER_PREFIX_LENGTH,
        ...(cachedData === undefined ? {} : { cachedData }),
      });
    } catch {
      // Not plain CommonJS (a syntax error, import/export): Node's loader decides.
      return original.call(this, content, filename, format);
    }
    if (cachedData === undefined || script.cachedDataRejected === true) {
      counts.misses++;
      compiled.push({ script, header, entry });
    } else {
      counts.hits++;
    }
    /** @type {unknown} */
    const ran = script.runInThisContext({ displayErrors: true });
    const wrapper = /** @type {Function} */ (ran);
    return wrapper.call(
      this.exports,
      this.exports,
      makeRequire(this),
      this,
      filename,
      path.dirname(filename),
    );
  };

  const stop = () => {
    if (!stopped) {
      stopped = true;
      M.prototype._compile = original;
    }
  };
  return {
    counts,
    stop,
    seal() {
      stop();
      for (const { script, header, entry } of compiled) {
        try {
          const head = Buffer.from(JSON.stringify(header));
          const size = Buffer.alloc(4);
          size.writeUInt32LE(head.length, 0);
          toWrite.push({ entry, bytes: Buffer.concat([size, head, script.createCachedData()]) });
        } catch {
          // No data for this one: it compiles again next time.
        }
      }
      compiled = [];
      if (smallInit !== undefined && counts.chars < SMALL_INIT_CHARS) {
        // An entry with no data: its header names the code folder, for the pool's pruning.
        const header = headerOf(smallInit.root, '');
        if (header !== undefined) {
          const head = Buffer.from(JSON.stringify(header));
          const size = Buffer.alloc(4);
          size.writeUInt32LE(head.length, 0);
          toWrite.push({ entry: path.join(dir, smallInit.marker), bytes: Buffer.concat([size, head]) });
        }
      }
    },
    flush() {
      if (send !== undefined) {
        for (const { entry, bytes } of toWrite) {
          // A frame's limit is 64 MiB (frames.ts): a larger entry would break the channel.
          if (bytes.length <= MAX_SENT_BYTES) {
            send(path.basename(entry), bytes);
          }
        }
        toWrite = [];
        return;
      }
      for (const { entry, bytes } of toWrite) {
        const temp = `${entry}.${process.pid}.tmp`;
        try {
          fs.writeFileSync(temp, bytes);
          fs.renameSync(temp, entry);
        } catch {
          try {
            fs.unlinkSync(temp);
          } catch {
            // nothing was written
          }
        }
      }
      toWrite = [];
    },
  };
}

module.exports = { install, entryName };
