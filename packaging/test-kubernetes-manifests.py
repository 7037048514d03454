#!/usr/bin/python3
"""Checks the example Kubernetes manifests in config/kubernetes/ (README.md, "Kubernetes").

Every file parses as YAML; the Deployment, the ConfigMap and the config inside it agree:
  - no volume is mounted with subPath (a subPath mount never sees an update);
  - the container's --config is a key of the ConfigMap, mounted as a directory;
  - every file the config reads (certificate, key, AK/SK) lies in a Secret volume mounted
    read-only, with defaultMode 0400, and the pod has an fsGroup so its non-root user can
    read them (kubelet makes them 0440);
  - state_dir is a writable mount (the root filesystem is read-only);
  - the container runs as non-root, with a read-only root filesystem, no privilege
    escalation and no capabilities;
  - with more than one replica, [daemon] jitter is not zero;
  - with --binary, `apig-certd check` accepts the config, with every mount moved into a
    temporary directory and the Secrets filled as kubelet would (a self-signed certificate
    made by the openssl command, dummy AK/SK files of mode 0400).
Usage: test-kubernetes-manifests.py [DIRECTORY] [--binary APIG_CERTD]
"""

import os
import posixpath
import subprocess
import sys
import tempfile
import tomllib

import yaml


def fail(message):
    print(f"test-kubernetes-manifests: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def load(directory):
    documents = []
    files = sorted(f for f in os.listdir(directory) if f.endswith((".yaml", ".yml")))
    check(files, f"no manifests in {directory}")
    for name in files:
        with open(os.path.join(directory, name), encoding="utf-8") as stream:
            try:
                loaded = [d for d in yaml.safe_load_all(stream) if d is not None]
            except yaml.YAMLError as error:
                fail(f"{name}: {error}")
        for document in loaded:
            check(isinstance(document, dict) and "kind" in document and "apiVersion" in document,
                  f"{name}: a document without kind/apiVersion")
            documents.append((name, document))
    return documents


def the_one(documents, kind):
    found = [d for _, d in documents if d["kind"] == kind]
    check(len(found) == 1, f"expected one {kind}, found {len(found)}")
    return found[0]


def mount_for(path, mounts):
    """The volume mount whose directory holds `path` (the deepest one)."""
    best = None
    for mount in mounts:
        prefix = mount["mountPath"].rstrip("/") + "/"
        if path.startswith(prefix) and (best is None or len(prefix) > len(best["mountPath"])):
            best = mount
    return best


def duration_is_zero(text):
    return str(text).strip() in ("0", "0s", "0ms", "")


def check_with_binary(binary, text, mounts, config, domains):
    """Runs `apig-certd check` on the ConfigMap's config, the mounts moved under a temp dir."""
    with tempfile.TemporaryDirectory() as root:
        for mount in mounts:
            text = text.replace(f'"{mount["mountPath"]}', f'"{root}{mount["mountPath"]}')
            os.makedirs(root + mount["mountPath"], exist_ok=True)
        for key in ("access_key_file", "secret_key_file"):
            if key in config["auth"]:
                path = root + config["auth"][key]
                with open(path, "w", encoding="utf-8") as stream:
                    stream.write("dummy\n")
                os.chmod(path, 0o400)
        for binding in config["binding"]:
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
                            "-keyout", root + binding["key"], "-out", root + binding["cert"],
                            "-subj", "/CN=" + domains[0],
                            "-addext", "subjectAltName=" + ",".join("DNS:" + d for d in domains)],
                           check=True, capture_output=True)
            os.chmod(root + binding["key"], 0o400)
        config_file = os.path.join(root, "config.toml")
        with open(config_file, "w", encoding="utf-8") as stream:
            stream.write(text)
        result = subprocess.run([binary, "check", "--config", config_file],
                                capture_output=True, text=True)
        check(result.returncode == 0,
              f"apig-certd check refused the ConfigMap's config:\n{result.stdout}{result.stderr}")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    arguments = sys.argv[1:]
    binary = None
    if "--binary" in arguments:
        at = arguments.index("--binary")
        binary = arguments[at + 1]
        del arguments[at:at + 2]
    directory = arguments[0] if arguments else os.path.join(here, "..", "config", "kubernetes")
    documents = load(directory)
    deployment = the_one(documents, "Deployment")
    config_map = the_one(documents, "ConfigMap")
    pod = deployment["spec"]["template"]["spec"]
    containers = [c for c in pod["containers"] if c["name"] == "apig-certd"]
    check(len(containers) == 1, "no container named apig-certd")
    container = containers[0]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = container["volumeMounts"]

    for mount in mounts:
        check("subPath" not in mount and "subPathExpr" not in mount,
              f"volume {mount['name']} is mounted with subPath: it would never be updated")
        check(mount["name"] in volumes, f"mount of unknown volume {mount['name']}")

    arguments = container.get("args", [])
    check("run" in arguments and "--config" in arguments, f"args {arguments} do not run --config")
    config_path = arguments[arguments.index("--config") + 1]
    config_mount = mount_for(config_path, mounts)
    check(config_mount is not None, f"--config {config_path} is on no volume")
    config_volume = volumes[config_mount["name"]]
    check(config_volume.get("configMap", {}).get("name") == config_map["metadata"]["name"],
          f"--config {config_path} is not on the ConfigMap's volume")
    key = posixpath.relpath(config_path, config_mount["mountPath"])
    check(key in config_map["data"], f"the ConfigMap has no key {key}")
    try:
        config = tomllib.loads(config_map["data"][key])
    except tomllib.TOMLDecodeError as error:
        fail(f"the ConfigMap's {key}: {error}")

    security = pod.get("securityContext", {})
    check(security.get("runAsNonRoot") is True, "the pod does not set runAsNonRoot")
    check(isinstance(security.get("fsGroup"), int),
          "no fsGroup: a non-root user cannot read Secret files of mode 0400")
    container_security = container.get("securityContext", {})
    check(container_security.get("readOnlyRootFilesystem") is True,
          "the root filesystem is writable")
    check(container_security.get("allowPrivilegeEscalation") is False,
          "allowPrivilegeEscalation is not false")
    check(container_security.get("capabilities", {}).get("drop") == ["ALL"],
          "capabilities are not all dropped")

    secret_files = [config["auth"][k] for k in ("access_key_file", "secret_key_file",
                                                  "security_token_file", "token_file",
                                                  "password_file") if k in config["auth"]]
    for binding in config["binding"]:
        check("cert" in binding and "key" in binding,
              f"binding {binding['name']}: give cert and key (a Secret has tls.crt, tls.key)")
        secret_files += [binding["cert"], binding["key"]]
    for path in secret_files:
        mount = mount_for(path, mounts)
        check(mount is not None, f"{path} is on no volume")
        secret = volumes[mount["name"]].get("secret")
        check(secret is not None, f"{path} is not on a Secret volume")
        check(secret.get("defaultMode") == 0o400,
              f"Secret volume {mount['name']}: defaultMode {secret.get('defaultMode')}, "
              "expected 0400")
        check(mount.get("readOnly") is True, f"Secret volume {mount['name']} is not read-only")

    state_dir = config.get("daemon", {}).get("state_dir", "/var/lib/apig-certd")
    state_mount = [m for m in mounts if m["mountPath"].rstrip("/") == state_dir.rstrip("/")]
    check(state_mount and not state_mount[0].get("readOnly", False),
          f"state_dir {state_dir} is not a writable mount")

    if deployment["spec"].get("replicas", 1) > 1:
        check(not duration_is_zero(config.get("daemon", {}).get("jitter", "0s")),
              "several replicas without [daemon] jitter")

    if binary:
        domains = sorted({t["domain"] for b in config["binding"] for t in b["target"]})
        check_with_binary(binary, config_map["data"][key], mounts, config, domains)

    print(f"test-kubernetes-manifests: {len(documents)} documents in {directory}: ok"
          + (" (and apig-certd check)" if binary else ""))


if __name__ == "__main__":
    main()
