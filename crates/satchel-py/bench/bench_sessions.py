"""get and save through satchel's Python face against secure-cookie 0.2.0's
FilesystemSessionStore, on the same data, in one run: prints a Markdown table with the
ratios (secure-cookie's time per operation over satchel's: above 1, satchel is faster).

    python bench_sessions.py [--count N] [--threads T] [--dir DIR] [--stores URL ...]

Needs the `satchel` wheel and `secure-cookie` in the environment (`.ci/python` makes
one under target/python-venv). secure-cookie neither fsyncs nor locks; satchel does
both on every save (temp file, fsync, rename, directory fsync, flock), so its saves pay
for durability and merging that secure-cookie's do not give; the table says so.
"""

import argparse
import os
import shutil
import tempfile
import threading
import time

import satchel
from secure_cookie.session import FilesystemSessionStore as SecureCookieStore

DATA = {"user": "alice", "roles": ["admin", "editor"], "cart": list(range(20)), "n": 7}


def per_op(work, count, threads):
    """Seconds per operation of `work(i)` run `count` times over `threads` threads."""
    def run(offset):
        for i in range(offset, count, threads):
            work(i)

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return (time.perf_counter() - start) / count


def measure(store, count, threads):
    """(get, save) seconds per operation on `count` saved sessions."""
    sessions = []
    for _ in range(min(count, 200)):
        session = store.new()
        session.update(DATA)
        store.save(session)
        sessions.append(session.sid)

    def get(i):
        store.get(sessions[i % len(sessions)])

    def save(i):
        session = store.get(sessions[i % len(sessions)])
        session["n"] = i
        store.save(session)

    get_time = per_op(get, count, threads)
    # save includes the get it needs, as a request does; the get is subtracted below.
    save_time = per_op(save, count, threads) - get_time
    return get_time, max(save_time, 1e-9)


def private_dir(root, name):
    path = os.path.join(root, name)
    os.mkdir(path, 0o700)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dir", help="where the session folders go (default: a temp dir)")
    parser.add_argument("--stores", nargs="*", default=[], help="open_store URLs to add")
    args = parser.parse_args()
    root = args.dir or tempfile.mkdtemp(prefix="satchel-bench-")
    peer = SecureCookieStore(private_dir(root, "secure-cookie"), filename_template="werkzeug_%s.sess")
    peer_get, peer_save = measure(peer, args.count, args.threads)
    rows = [("secure-cookie 0.2.0 FilesystemSessionStore", peer_get, peer_save)]
    ours = satchel.FilesystemSessionStore(private_dir(root, "satchel"), mode=0o600)
    rows.append(("satchel FilesystemSessionStore (fsync + lock + merge)",) + measure(ours, args.count, args.threads))
    for url in args.stores:
        rows.append(("satchel open_store(%s)" % url,) + measure(satchel.open_store(url), args.count, args.threads))
    print("%d operations, %d thread(s), in %s\n" % (args.count, args.threads, root))
    print("| store | get µs | save µs | get ratio | save ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, get, save in rows:
        print("| %s | %.1f | %.1f | %.2f | %.2f |" % (name, get * 1e6, save * 1e6, peer_get / get, peer_save / save))
    print("\nratio = secure-cookie's time per operation / this store's (above 1: faster)")
    if not args.dir:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
