/**
 * Container detection: decides once, at startup, whether this process runs
 * inside a container, and says which sign gave it away. Every path it reads is
 * a parameter so that tests can point it at temporary files; it must not throw
 * when a file is missing or unreadable (that is simply "no sign").
 */
'use strict';

const fs = require('node:fs');

const DEFAULT_PATHS = Object.freeze({
  dockerenv: '/.dockerenv', // created by Docker in every container it starts
  containerenv: '/run/.containerenv', // the same marker, from Podman
  cgroup: '/proc/self/cgroup',
  mountinfo: '/proc/self/mountinfo',
});

// cgroup v1 paths name the runtime that created the group: Docker, containerd,
// Kubernetes, Podman, LXC, and ECS (Fargate tasks sit under /ecs/<task id>/).
const CGROUP_SIGN = /\/(docker|containerd|kubepods|libpod|lxc|ecs)[/.-]/;

// Runtimes give each container its own copies of these files by bind-mounting
// them in; on a host they are plain files, never mount points.
const RUNTIME_MOUNT_POINTS = new Set(['/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);

function read(path) {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function exists(path) {
  try {
    fs.accessSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Parses /proc/<pid>/mountinfo into `{ mountPoint, fsType }` entries. */
function mounts(mountinfo) {
  const entries = [];
  for (const line of mountinfo.split('\n')) {
    // Fields: id parent major:minor root mountpoint options [optional...] - fstype source superopts
    const fields = line.split(' ');
    const separator = fields.indexOf('-', 6);
    if (separator === -1) continue;
    entries.push({ mountPoint: fields[4], fsType: fields[separator + 1] });
  }
  return entries;
}

/**
 * Returns `{ inContainer, reason }`; `reason` names the file and sign that
 * decided it, or says that none was found.
 */
function detectContainer(overrides = {}) {
  const paths = { ...DEFAULT_PATHS, ...overrides };

  if (exists(paths.dockerenv)) return { inContainer: true, reason: `${paths.dockerenv} exists` };
  if (exists(paths.containerenv)) return { inContainer: true, reason: `${paths.containerenv} exists` };

  const cgroup = read(paths.cgroup);
  if (cgroup !== null && CGROUP_SIGN.test(cgroup)) {
    return { inContainer: true, reason: `${paths.cgroup} names a container runtime` };
  }

  // Under cgroup v2 the cgroup file says only "0::/", so look at the mounts.
  const mountinfo = read(paths.mountinfo);
  if (mountinfo !== null) {
    const entries = mounts(mountinfo);
    const bound = entries.find((m) => RUNTIME_MOUNT_POINTS.has(m.mountPoint));
    if (bound) {
      return { inContainer: true, reason: `${paths.mountinfo} shows ${bound.mountPoint} mounted by a runtime` };
    }
    // Image layers are stacked with overlayfs; a host's own root rarely is.
    const root = entries.find((m) => m.mountPoint === '/');
    if (root && root.fsType === 'overlay') {
      return { inContainer: true, reason: `${paths.mountinfo} shows an overlay root filesystem` };
    }
  }

  return { inContainer: false, reason: 'no container sign found' };
}

module.exports = { detectContainer, DEFAULT_PATHS };
