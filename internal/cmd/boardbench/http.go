package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// post makes a POST request to the board and returns the "path" its JSON
// answer names (a recording's).
func post(port int, path string) string {
	resp, err := http.Post("http://127.0.0.1:"+strconv.Itoa(port)+path, "", nil)
	check(err)
	defer resp.Body.Close()
	var v struct{ Path string }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != http.StatusOK {
		check(fmt.Errorf("POST %s: %s %v", path, resp.Status, err))
	}
	return v.Path
}

func httpGet(url string) (string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}
