#!/bin/sh
# Regenerates the catalogue's template and merges it into po/zh_CN.po:
#   1. po/dump-msgids.c lists the engines' annotation tables (SMTP, POP3,
#      IMAP) and the report's keys, each with its key as a comment;
#   2. xgettext adds the strings marked N_("...") and TR(lang, "...") in the
#      files of po/POTFILES;
#   3. msgmerge brings po/zh_CN.po up to date: new texts appear untranslated
#      (the tests fail until they are translated), removed ones are dropped.
# Run from anywhere after `make`; writes build/po/mailsim.pot.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
mkdir -p build/po
make --no-print-directory build/opt/libmailsim.a
pkgs="glib-2.0 gio-2.0 json-glib-1.0 libcgraph libgvc"
# shellcheck disable=SC2046
# (-fno-lto: the library's objects may be built for LTO; this small tool
# need not pay for an LTO link)
cc -std=c11 -fno-lto -Iinclude -Isim $(pkg-config --cflags $pkgs) -o build/po/dump-msgids \
    po/dump-msgids.c build/opt/libmailsim.a $(pkg-config --libs $pkgs) -lm
build/po/dump-msgids > build/po/engines.pot
grep -v '^#' po/POTFILES | grep . > build/po/files
xgettext --from-code=UTF-8 --no-location --no-wrap -k -kN_ -kTR:2 \
    --package-name=mailsim --files-from=build/po/files -o build/po/report.pot
msgcat --use-first --no-location --no-wrap build/po/engines.pot build/po/report.pot \
    -o build/po/mailsim.pot
msgmerge --quiet --update --backup=none --no-fuzzy-matching --no-location --no-wrap \
    po/zh_CN.po build/po/mailsim.pot
msgattrib --no-obsolete --no-wrap -o po/zh_CN.po po/zh_CN.po
msgfmt --check --statistics -o /dev/null po/zh_CN.po
