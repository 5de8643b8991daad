#!/bin/sh
BUILD_DIR=$1
rm -rf "$BUILD_DIR/" # expect: shell.rm-rf-variable
rm -rf $STEAMROOT/* # expect: shell.rm-rf-variable
rm -r "${PREFIX}"/lib # expect: shell.rm-rf-variable
