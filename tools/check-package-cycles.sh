#!/usr/bin/env bash
# Fails (exit 1) when rlhf4j packages depend on each other in a cycle of any length, naming each
# cycle and the classes behind its edges. Reads the compiled main classes of every module listed in
# the parent pom (run after `mvn -B -o -q -DskipTests compile` or any later phase); test classes are
# not checked. Needs only bash, awk and the JDK's jdeps. jdeps reads the constant pool, so a class
# named only inside an annotation (picocli's subcommands = {...}) does not count as a dependence.
#
#   tools/check-package-cycles.sh        exit 0: no cycle; 1: cycles found; 2: not built / no jdeps
set -euo pipefail
cd "$(dirname "$0")/.."

command -v jdeps >/dev/null || { echo "check-package-cycles: jdeps not found; put a JDK's bin on PATH" >&2; exit 2; }

dirs=()
for m in $(sed -n 's:.*<module>\(.*\)</module>.*:\1:p' pom.xml); do
  [[ -d $m/src/main/java ]] || continue
  if [[ ! -d $m/target/classes ]]; then
    echo "check-package-cycles: $m/target/classes is missing; build first: mvn -B -o -q -DskipTests compile" >&2
    exit 2
  fi
  dirs+=("$m/target/classes")
done

# One line per class-level dependence between two rlhf4j classes: "FromClass ToClass".
jdeps -verbose:class -e '^rlhf4j\..*' "${dirs[@]}" \
  | awk '$2 == "->" && $1 ~ /^rlhf4j\./ && $3 ~ /^rlhf4j\./ { print $1, $3 }' \
  | awk '
    function pkg(c) { sub(/\.[^.]*$/, "", c); return c }
    {
      p = pkg($1); q = pkg($2)
      if (p == q) next
      if (!(p in id)) { id[p] = ++n; name[n] = p }
      if (!(q in id)) { id[q] = ++n; name[n] = q }
      i = id[p]; j = id[q]
      if (!((i, j) in edge)) { edge[i, j] = 1; why[i, j] = $1 " -> " $2; count[i, j] = 1 }
      else if (count[i, j]++ < 3) why[i, j] = why[i, j] ", " $1 " -> " $2
    }
    END {
      # reach[i, j]: j is reachable from i (Floyd-Warshall over a few dozen packages).
      for (key in edge) reach[key] = 1
      for (k = 1; k <= n; k++) for (i = 1; i <= n; i++) if ((i, k) in reach)
        for (j = 1; j <= n; j++) if ((k, j) in reach) reach[i, j] = 1
      cycles = 0
      for (s = 1; s <= n; s++) {
        if (!((s, s) in reach) || (s in done)) continue
        # s lies on a cycle: its strongly connected group is every t with s ->* t ->* s.
        members = ""
        for (t = 1; t <= n; t++) if ((s, t) in reach && (t, s) in reach) {
          done[t] = 1; inscc[t] = s; members = members " " name[t]
        }
        # The shortest cycle through s, by breadth-first search inside the group.
        delete prev; head = 1; tail = 0; found = 0
        for (t = 1; t <= n; t++) if ((s, t) in edge && inscc[t] == s && !(t in prev)) { prev[t] = s; queue[++tail] = t }
        while (head <= tail && !found) {
          u = queue[head++]
          if (u == s) { found = 1; break }
          for (t = 1; t <= n; t++) if ((u, t) in edge && inscc[t] == s && !(t in prev)) { prev[t] = u; queue[++tail] = t }
        }
        path = name[s]; v = s; len = 0
        do { u = prev[v]; step[++len] = u SUBSEP v; path = name[u] " -> " path; v = u } while (v != s)
        cycles++
        printf "package cycle %d: %s\n", cycles, path
        for (k = len; k >= 1; k--) {
          split(step[k], uv, SUBSEP)
          printf "    %s -> %s (%d class dependences, e.g. %s)\n", name[uv[1]], name[uv[2]], count[uv[1], uv[2]], why[uv[1], uv[2]]
        }
        printf "    packages in this cycle group:%s\n", members
      }
      if (cycles > 0) {
        printf "check-package-cycles: %d package cycle(s); break each by moving the class behind one edge or by an interface in the lower package\n", cycles
        exit 1
      }
      printf "check-package-cycles: no cycle among %d rlhf4j packages\n", n
    }'
