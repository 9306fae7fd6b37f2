#!/bin/sh
# paperless-ngx pre-consume hook: give the working copy of each incoming PDF an invisible text
# layer before paperless reads it. paperless 3 then finds text in it and (with its default
# PAPERLESS_ARCHIVE_FILE_GENERATION=auto) keeps it as it is: no OCRmyPDF run, no archive
# version, no PDF/A. For paperless's archive and PDF/A, use the OCRmyPDF plugin instead
# (PAPERLESS_OCR_USER_ARGS, see the README).
#
#   PAPERLESS_PRE_CONSUME_SCRIPT=/usr/src/paperless/scripts/paperless-pre-consume.sh
#
# Engine: Azure when AZURE_VISION_ENDPOINT and AZURE_VISION_KEY are set in paperless's
# environment, else the bundled offline engine (pip install '.[local]' in a checkout).
#
# paperless passes the working copy in DOCUMENT_WORKING_PATH; the original stays untouched. A
# document is never held up by this hook: anything that is not a PDF is left alone, and if
# ocr-pdf fails (service down, signed or damaged PDF, ...) the message goes to paperless's log
# and paperless goes on with its own OCR.
set -u
case "${DOCUMENT_WORKING_PATH:-}" in
  *.pdf|*.PDF) ;;
  "") echo "ocr-pdf hook: DOCUMENT_WORKING_PATH is not set" >&2; exit 0 ;;
  *) exit 0 ;;
esac
ocr-pdf --in-place --quiet "$DOCUMENT_WORKING_PATH"
status=$?
if [ "$status" -ne 0 ]; then
  echo "ocr-pdf hook: exit $status on $DOCUMENT_WORKING_PATH; paperless will OCR it itself" >&2
fi
exit 0
