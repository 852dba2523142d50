// Container detection against temporary files standing in for /.dockerenv,
// /run/.containerenv, /proc/self/cgroup and /proc/self/mountinfo.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { detectContainer } = require('../src/container');

const HOST_ROOT = '27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw';
const HOST_PROC = '22 27 0:5 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw';

/** Paths in a fresh temp dir; `files` maps a key of DEFAULT_PATHS to contents. */
function fixture(t, files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'quest-container-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const paths = {};
  for (const key of ['dockerenv', 'containerenv', 'cgroup', 'mountinfo']) {
    paths[key] = path.join(dir, key);
    if (files[key] !== undefined) fs.writeFileSync(paths[key], files[key]);
  }
  return paths;
}

test('no files at all means no container, without throwing', (t) => {
  const paths = fixture(t, {});
  assert.deepEqual(detectContainer(paths), { inContainer: false, reason: 'no container sign found' });
});

test('a host with cgroup v2 and an ext4 root is not a container', (t) => {
  const paths = fixture(t, { cgroup: '0::/user.slice/user-1000.slice/session-2.scope\n', mountinfo: `${HOST_ROOT}\n${HOST_PROC}\n` });
  assert.equal(detectContainer(paths).inContainer, false);
});

test('a Docker host (its own mounts name /var/lib/docker) is not a container', (t) => {
  const dockerOnHost = '300 27 0:50 / /var/lib/docker/overlay2/abc/merged rw,relatime - overlay overlay rw';
  const paths = fixture(t, { cgroup: '0::/init.scope\n', mountinfo: `${HOST_ROOT}\n${dockerOnHost}\n` });
  assert.equal(detectContainer(paths).inContainer, false);
});

test('/.dockerenv alone is enough', (t) => {
  const paths = fixture(t, { dockerenv: '' });
  assert.deepEqual(detectContainer(paths), { inContainer: true, reason: `${paths.dockerenv} exists` });
});

test('Podman\'s /run/.containerenv is enough', (t) => {
  const paths = fixture(t, { containerenv: 'engine="podman"\n' });
  assert.deepEqual(detectContainer(paths), { inContainer: true, reason: `${paths.containerenv} exists` });
});

const CGROUPS = {
  docker: '12:memory:/docker/3f2a9c0d1e\n0::/docker/3f2a9c0d1e\n',
  'ECS Fargate': '11:memory:/ecs/8c1f7e0a/8c1f7e0a-1234\n',
  kubernetes: '10:cpu:/kubepods/burstable/pod1234/abcd\n',
  'systemd docker scope': '0::/system.slice/docker-3f2a9c0d1e.scope\n',
};
for (const [runtime, cgroup] of Object.entries(CGROUPS)) {
  test(`a cgroup file written by ${runtime} is a sign`, (t) => {
    const paths = fixture(t, { cgroup, mountinfo: `${HOST_ROOT}\n` });
    assert.deepEqual(detectContainer(paths), { inContainer: true, reason: `${paths.cgroup} names a container runtime` });
  });
}

test('under cgroup v2, a runtime bind mount on /etc/hostname is a sign', (t) => {
  const bind = '640 620 254:1 /var/lib/docker/containers/3f2a/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw';
  const paths = fixture(t, { cgroup: '0::/\n', mountinfo: `${HOST_ROOT}\n${bind}\n` });
  assert.deepEqual(detectContainer(paths), {
    inContainer: true,
    reason: `${paths.mountinfo} shows /etc/hostname mounted by a runtime`,
  });
});

test('under cgroup v2, an overlay root filesystem is a sign', (t) => {
  const overlayRoot = '620 560 0:52 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w';
  const paths = fixture(t, { cgroup: '0::/\n', mountinfo: `${overlayRoot}\n${HOST_PROC}\n` });
  assert.deepEqual(detectContainer(paths), {
    inContainer: true,
    reason: `${paths.mountinfo} shows an overlay root filesystem`,
  });
});
