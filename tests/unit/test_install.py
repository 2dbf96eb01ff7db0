# SPDX-License-Identifier: GPL-2.0
"""make install / make uninstall into a staging DESTDIR: what users build
against (headers, mprox.pc, the library) works from there, and uninstall
removes every file install put down."""

import os
import subprocess
import tempfile
import unittest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def make(*args, **kw):
    return subprocess.run(
        ["make", "-s", "-C", TOP, *args],
        check=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kw,
    )


def files_under(root):
    out = set()
    for d, _, names in os.walk(root):
        for n in names:
            out.add(os.path.relpath(os.path.join(d, n), root))
    return out


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dest = cls.tmp.name
        make("install", f"DESTDIR={cls.dest}", "PREFIX=/usr")
        cls.installed = files_under(cls.dest)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_everything_is_installed(self):
        for f in [
            "usr/bin/mprox",
            "usr/include/mprox.h",
            "usr/include/linux/mprox.h",
            "usr/lib/libmprox.so.0",
            "usr/lib/libmprox.a",
            "usr/lib/pkgconfig/mprox.pc",
            "usr/share/man/man2/mprox_create.2",
            "usr/share/man/man3/libmprox.3",
            "usr/share/man/man5/mprox.conf.5",
            "usr/share/man/man8/mprox.8",
            "usr/lib/systemd/system/mprox@.service",
            "usr/lib/systemd/system/mprox.target",
            "usr/share/bash-completion/completions/mprox",
        ]:
            self.assertIn(f, self.installed)
        self.assertTrue(any(f.endswith("/extra/mprox.ko") for f in self.installed))
        self.assertTrue(os.path.islink(os.path.join(self.dest, "usr/lib/libmprox.so")))

    def test_example_builds_against_the_installed_tree(self):
        env = dict(os.environ, PKG_CONFIG_PATH=f"{self.dest}/usr/lib/pkgconfig",
                   PKG_CONFIG_SYSROOT_DIR=self.dest)
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "mprox"], env=env,
                               check=True, stdout=subprocess.PIPE, text=True).stdout.split()
        exe = os.path.join(self.dest, "watch-status")
        subprocess.run(["cc", "-std=c11", "-Wall", "-Werror", "-o", exe,
                        os.path.join(TOP, "libmprox/examples/watch-status.c"), *flags],
                       check=True)
        # No module on this host: the program must fail cleanly, not crash.
        env = dict(os.environ, LD_LIBRARY_PATH=f"{self.dest}/usr/lib")
        r = subprocess.run([exe, "mprox0"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("mprox_attach:", r.stderr)

    def test_man_pages_render_without_warnings(self):
        mandir = os.path.join(self.dest, "usr/share/man")
        pages = [os.path.join(d, f) for d, _, fs in os.walk(mandir) for f in fs]
        self.assertGreaterEqual(len(pages), 2)
        for page in pages:
            # man -l as a user reads it; groff's warnings go to stderr.
            r = subprocess.run(["man", "-l", page], env=dict(os.environ, MANWIDTH="80"),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.assertEqual(r.returncode, 0, page)
            self.assertEqual(r.stderr, "", page)
            self.assertIn("NAME", r.stdout, page)

    def test_systemd_unit_verifies(self):
        unit = os.path.join(self.dest, "usr/lib/systemd/system/mprox@.service")
        with open(unit) as f:
            text = f.read()
        self.assertIn("ExecStart=/usr/bin/mprox up %i", text)
        # Verified as installed, but naming the staged binary (verify checks
        # that it exists), with the staged man pages for Documentation=.
        work = tempfile.TemporaryDirectory()
        self.addCleanup(work.cleanup)
        copy = os.path.join(work.name, "mprox@test.service")
        with open(copy, "w") as f:
            f.write(text.replace("=/usr/bin/", f"={self.dest}/usr/bin/"))
        for name in ("mprox.target",):
            with open(os.path.join(self.dest, "usr/lib/systemd/system", name)) as src, \
                    open(os.path.join(work.name, name), "w") as dst:
                dst.write(src.read())
        r = subprocess.run(["systemd-analyze", "verify", copy], cwd=work.name,
                           env=dict(os.environ, MANPATH=os.path.join(self.dest, "usr/share/man")),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Unknown keys are only warnings: any output fails the test.
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))

    def test_bash_completion_completes_commands(self):
        comp = os.path.join(self.dest, "usr/share/bash-completion/completions/mprox")
        script = (f"source {comp}; COMP_WORDS=(mprox mon); COMP_CWORD=1; _mprox; "
                  "echo \"${COMPREPLY[*]}\"; COMP_WORDS=(mprox upstream a); COMP_CWORD=2; "
                  "_mprox; echo \"${COMPREPLY[*]}\"")
        out = subprocess.run(["bash", "-c", script], check=True, stdout=subprocess.PIPE,
                             text=True).stdout.split("\n")
        self.assertEqual(out[:2], ["monitor", "add"])

    def test_uninstall_removes_what_install_put_down(self):
        with tempfile.TemporaryDirectory() as dest:
            make("install", f"DESTDIR={dest}", "PREFIX=/usr")
            make("uninstall", f"DESTDIR={dest}", "PREFIX=/usr")
            self.assertEqual(files_under(dest), set())


if __name__ == "__main__":
    unittest.main()
