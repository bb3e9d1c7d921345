#!/bin/sh
echo "(report not written yet)"
