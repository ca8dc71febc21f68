# Sourced by bench/run.sh and bench/console_bench.sh: the demo configs on private ports and a private
# data dir. Needs OUT, JPORT (jarip), SPORT (simulator admin; providers on +1, +2, +3); sets DATA and
# writes $OUT/jarip.toml and $OUT/sim.json. Run from the repository root.
DATA=$OUT/data
sed -e "s/^port = 8080/port = $JPORT/" \
    -e "s#^data_dir = .*#data_dir = \"$DATA\"#" \
    -e "s#127.0.0.1:9101#127.0.0.1:$((SPORT + 1))#" -e "s#127.0.0.1:9102#127.0.0.1:$((SPORT + 2))#" \
    -e "s#127.0.0.1:9103#127.0.0.1:$((SPORT + 3))#" -e 's/^level = "info"/level = "warn"/' \
    config/jarip.demo.toml >"$OUT/jarip.toml"
python3 - "$OUT/sim.json" "$SPORT" "$JPORT" <<'PY'
import json, sys
path, sport, jport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = json.load(open("config/sim.demo.json"))
c["admin_port"] = sport
c["solapi"]["port"] = sport + 1
c["nhn"]["alimtalk_port"], c["nhn"]["sms_port"] = sport + 2, sport + 3
for p in ("solapi", "nhn"):
    c[p]["webhook_url"] = c[p]["webhook_url"].replace("127.0.0.1:8080", "127.0.0.1:%d" % jport)
json.dump(c, open(path, "w"), indent=1, ensure_ascii=False)
PY
