#!/usr/bin/env python3
# Adds the lock entries of other platforms' optional binaries (@swc/core-darwin-arm64 and the like) that `npm install`
# leaves out when the registry it talks to serves only this platform's builds; without them `npm ci` refuses the
# lock as out of sync, here and on a developer's Mac. Run after any `npm install`: python3 .ci/complete-lockfile.py package-lock.json
import json, re, sys
p = sys.argv[1]
lock = json.load(open(p))
pk = lock['packages']
added = []
OS = {'darwin': 'darwin', 'win32': 'win32', 'linux': 'linux', 'android': 'android', 'freebsd': 'freebsd', 'openharmony': 'openharmony'}
for path, meta in list(pk.items()):
    for dep, ver in (meta.get('optionalDependencies') or {}).items():
        key = f'node_modules/{dep}'
        if key in pk: continue
        m = re.search(r'-(darwin|win32|linux|android|freebsd|openharmony)-([a-z0-9]+)(?:-(gnu|musl|gnueabihf|musleabihf|msvc|eabi))?$', dep)
        if not m:
            print('skip', dep); continue
        os_, cpu, abi = m.groups()
        entry = {'version': ver, 'cpu': [cpu], 'license': meta.get('license', 'MIT'), 'optional': True, 'os': [os_]}
        if abi in ('gnu', 'gnueabihf'): entry['libc'] = ['glibc']
        if abi in ('musl', 'musleabihf'): entry['libc'] = ['musl']
        if not ver[0].isdigit(): print('range', dep, ver)
        pk[key] = entry
        added.append(dep)
lock['packages'] = dict(sorted(pk.items(), key=lambda kv: (kv[0] != '', kv[0])))
json.dump(lock, open(p, 'w'), indent=2)
open(p, 'a').write('\n')
print('added', len(added))
