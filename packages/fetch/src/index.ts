// @bulwark/fetch: work in progress (issue 18 item 1).
export {}
