# render.sh IN OUT DEPFILE: copies IN to OUT, replacing each "@include FILE"
# line by FILE's text, and lists the files it read in DEPFILE.
in=$1; out=$2; dep=$3
mkdir -p "$(dirname "$out")"
: > "$out"
deps=""
while IFS= read -r line; do
  case $line in
    "@include "*) f=${line#@include }; cat "$f" >> "$out"; deps="$deps $f" ;;
    *) printf '%s\n' "$line" >> "$out" ;;
  esac
done < "$in"
printf '%s: %s%s\n' "$out" "$in" "$deps" > "$dep"
